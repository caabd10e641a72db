/**
 * Typed access to the table-shape generator the lookup bench uses (bench/lib/table-shapes.js,
 * plain CommonJS), so the property tests and the bench run on the very same tables.
 */
import type { RouteRule } from '@scopegate/core';

export interface ShapeOptions {
  caseSensitive: boolean;
  strict: boolean;
}

export type ShapeRequest = [method: string, path: string];

export interface TableShape {
  name: string;
  description: string;
  size: number;
  rules: RouteRule[];
  options: ShapeOptions;
  requests: ShapeRequest[];
}

interface TableShapesModule {
  SIZES: readonly number[];
  SHAPE_NAMES: readonly string[];
  tableShape(name: string, size: number, opts?: { requests?: number }): TableShape;
  tableShapes(sizes?: readonly number[], opts?: { requests?: number }): TableShape[];
  findMyWayPath(pattern: string): string | null;
}

// A .js module without declarations: required, and typed here.
const lib = require('../../../../bench/lib/table-shapes') as TableShapesModule;

export const { SIZES, SHAPE_NAMES, tableShape, tableShapes, findMyWayPath } = lib;
