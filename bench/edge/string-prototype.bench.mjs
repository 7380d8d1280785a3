// What a String subclass does to every string method call in the process (why patches/ioredis+6.0.0.patch exists).
// Each case runs in a fresh process: one loop of charCodeAt over a short string, before and after the case's statement.
//   node bench/edge/string-prototype.bench.mjs
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CASES = {
  'nothing (baseline)': '',
  'class X extends String {}': 'class X extends String {}',
  'Object.create(String.prototype)': 'Object.create(String.prototype)',
  "import 'ioredis' (as patched)": "await import('ioredis')",
};

if (process.argv[2] === 'child') {
  const scan = (s) => { let h = 0; for (let j = 0; j < s.length; j++) h = (h + s.charCodeAt(j)) | 0; return h; };
  const time = () => {
    let h = 0;
    const t = performance.now();
    for (let i = 0; i < 2e6; i++) h ^= scan('ada1234@example.com');
    return { ns: ((performance.now() - t) * 1e6) / 2e6, h };
  };
  time(); // warm-up
  const before = time().ns;
  await new Function(`return (async () => { ${CASES[process.argv[3]]} })()`)();
  const after = time().ns;
  process.stdout.write(JSON.stringify({ before, after }));
} else {
  console.log('ns per scan of a 19-character string, before -> after the statement (fresh process each)');
  for (const name of Object.keys(CASES)) {
    const { before, after } = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), 'child', name], { encoding: 'utf8' }));
    console.log(`${name.padEnd(34)} ${before.toFixed(1).padStart(6)} -> ${after.toFixed(1).padStart(6)} ns`);
  }
  console.log('reproduce: node bench/edge/string-prototype.bench.mjs');
}
