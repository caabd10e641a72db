#!/usr/bin/env node
'use strict';
// Part of `npm test`: the Redis tests start a real redis-server. Install Debian's package when it
// is missing and we are root; otherwise stop with one line saying what to do.
const { execFileSync, spawnSync } = require('node:child_process');

const has = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (has()) process.exit(0);
if (typeof process.getuid !== 'function' || process.getuid() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('redis-server is needed by the tests: install it (Debian/Ubuntu: sudo apt-get install -y redis-server) and run npm test again.');
  process.exit(1);
}
console.error('redis-server not found: installing the Debian package redis-server…');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { stdio: 'inherit', env });
} catch {
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { stdio: 'inherit', env });
}
if (!has()) {
  console.error('redis-server still not available after installing it.');
  process.exit(1);
}
