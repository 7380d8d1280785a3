/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser, so this file sees DOM types.)
// The HTML report renders in a real browser: headless Chromium opens a generated report from disk, with no network,
// and the charts are drawn (SVG paths of real length, and their colours in the screenshot's pixels).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../src/bench/bench.command.ts';
import { sampleReport } from '../../src/bench/report.fixture.ts';
import { PROJECT_ROOT } from '../../src/config.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.join(PROJECT_ROOT, '.inflow', 'test', 'bench');

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  // CI runs as root; Debian's chromium package puts the browser at /usr/bin/chromium
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' } });
}

describe('bench HTML report in headless Chromium', () => {
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    ensureChromium();
    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'inflow-bench-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1200, height: 900 },
    });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('draws the throughput, latency, lag, CPU and RSS charts from a report file, offline', async () => {
    mkdirSync(OUT, { recursive: true });
    const files = writeReports(sampleReport(), OUT);
    const page = await context.newPage();
    const remote: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) remote.push(r.url());
    });
    await page.goto(`file://${files.html}`);

    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const paths = [...svg.querySelectorAll<SVGPathElement>('path.series')];
        return { id: svg.id, width: box.width, height: box.height, paths: paths.length, minLength: Math.min(...paths.map((p) => p.getTotalLength())) };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(['chart-throughput', 'chart-latency', 'chart-lag', 'chart-cpu', 'chart-rss']);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(700);
      expect(c.height).toBeGreaterThan(200);
      expect(c.paths).toBeGreaterThan(0);
      expect(c.minLength).toBeGreaterThan(300); // a line across the chart, not a dot
    }

    // the pixels: the throughput chart's screenshot holds its series' colours (saturated pixels), drawn as lines
    const shot = await page.locator('#chart-throughput').screenshot();
    writeFileSync(path.join(OUT, 'chart-throughput.png'), shot);
    await page.screenshot({ path: path.join(OUT, 'report.png'), fullPage: true });
    const coloured = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 80) n++; // grid, text and background are grey
      }
      return n;
    }, shot.toString('base64'));
    expect(coloured).toBeGreaterThan(1000); // 3 legend swatches are 300 px; the rest are the lines

    expect(await page.textContent('body')).toContain('PASS');
    expect(remote).toEqual([]);
  });
});
