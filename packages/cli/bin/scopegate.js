#!/usr/bin/env node
'use strict';
// The built CLI (npm ci builds every package through the root `prepare` script).
require('../dist/cli.js').main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
