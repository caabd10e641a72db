/** The readable debug print of a compiled table: the trie, one node per line. */
import { bindingsText } from './rule-validation';
import type { TrieEnd, TrieNode, TrieTail } from './trie';
import type { CompiledRule, ResolvedCompileOptions } from './types';

export function printTable(root: TrieNode, rules: readonly CompiledRule[], options: ResolvedCompileOptions): string {
  const flags = [
    options.caseSensitive ? 'case-sensitive' : 'case-insensitive',
    options.strict ? 'strict trailing slash' : 'optional trailing slash',
    options.readAllScope ? `read-all scope ${options.readAllScope}` : 'no read-all scope',
  ];
  const bind = Object.entries(options.bind);
  if (bind.length) flags.push(`binds ${bind.map(([param, claim]) => `:${param} = claim ${claim}`).join(', ')}`);
  const lines = [`RouteTable: ${rules.length} rule${rules.length === 1 ? '' : 's'} (${flags.join(', ')})`, '/' + endsText(root)];
  printChildren(root, '', lines);
  return lines.join('\n');
}

function children(node: TrieNode): [string, TrieNode | TrieTail][] {
  const out: [string, TrieNode | TrieTail][] = [];
  if (node.statics) for (const child of node.statics.values()) out.push([child.label === '' ? "''" : child.label, child]);
  if (node.param) out.push([node.param.label, node.param]);
  for (const tail of node.tails) out.push([`~ ${tail.source}`, tail]);
  return out;
}

function printChildren(node: TrieNode, indent: string, lines: string[]): void {
  const list = children(node);
  list.forEach(([label, child], i) => {
    const last = i === list.length - 1;
    if ('regexp' in child) {
      lines.push(`${indent}${last ? '└── ' : '├── '}${label}${endText(child)}`);
      return;
    }
    lines.push(`${indent}${last ? '└── ' : '├── '}${label}${endsText(child)}`);
    printChildren(child, indent + (last ? '    ' : '│   '), lines);
  });
}

function endsText(node: TrieNode): string {
  const ends = node.allEnds.filter((e) => !('regexp' in e));
  return ends.map(endText).join('');
}

function endText(end: TrieEnd): string {
  const rule = end.alt.rule;
  const need = rule.public
    ? 'public'
    : rule.anyOf.length === 1 && rule.anyOf[0]!.length === 0
      ? 'authenticated'
      : rule.anyOf.map((alt) => alt.join(' + ')).join(' | ');
  const bound = rule.bindings.length ? `  ${bindingsText(rule.bindings)}` : '';
  return `  [${rule.methods.join(',')} → ${need}${bound}  #${rule.index}]`;
}
