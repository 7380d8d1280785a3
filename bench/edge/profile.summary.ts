// Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time per function, top N.
// Usage: npx tsx bench/edge/profile.summary.ts <file.cpuprofile> [top=40] [fromS=0] [toS=inf]
// fromS/toS: only samples in that window (seconds from the profile's start), e.g. the load phase without startup.
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, topArg, fromArg, toArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile.summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const top = Number(topArg ?? 40);
const fromUs = Number(fromArg ?? 0) * 1e6;
const toUs = toArg ? Number(toArg) * 1e6 : Number.POSITIVE_INFINITY;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: Node) => {
  const url = n.callFrame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/\/work\/main\//, '');
  return `${n.callFrame.functionName || '(anon)'} ${url}:${n.callFrame.lineNumber + 1}`;
};

const self = new Map<string, number>();
const incl = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
let at = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  at += dt;
  if (at < fromUs || at > toUs) return;
  total += dt;
  const leaf = byId.get(id)!;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  const url = leaf.callFrame.url;
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/src/') ? 'inflow src' : url.startsWith('node:') ? 'node core' : leaf.callFrame.functionName || '(native)');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue; // recursion counts once
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + dt);
  }
});

const pct = (v: number) => `${((v / total) * 100).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n== ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(v)}  ${k}`);
};
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
print('self time by package', byPackage, 25);
print('self time', self, top);
print('inclusive time', incl, top);
