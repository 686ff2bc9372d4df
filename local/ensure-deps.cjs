// Runs before `npm start` and `npm test`: on a fresh clone, installs the locked dependencies
// (including the pinned Node 24 that every npm script then runs on). Plain CommonJS, so it works on
// whatever Node the machine has.
const { existsSync } = require('node:fs');
const { execSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
if (!existsSync(bin('node')) || !existsSync(bin('tsx')) || !existsSync(bin('vitest'))) {
  console.log('First run: installing the locked dependencies (npm ci)...');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
