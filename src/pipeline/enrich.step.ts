// Enrichment: the user agent parsed (ua-parser-js) and the IP placed in a country and city (geoip-lite: a GeoLite2-derived
// dataset bundled in the npm package itself, so it installs from the registry; refreshed with each package release).
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { UAParser } from 'ua-parser-js';

export interface Enrichment {
  ua_browser: string | null;
  ua_os: string | null;
  ua_device: string | null;
  geo_country: string | null;
  geo_city: string | null;
}

export interface GeoLookup {
  lookup(ip: string): { country: string; city: string } | null;
}

const require = createRequire(import.meta.url);
let geoip: GeoLookup | undefined;
/** Loaded on first use: the dataset takes ~100 MB of memory and a second to read. */
export function geoipLite(): GeoLookup {
  geoip ??= require('geoip-lite') as GeoLookup;
  return geoip;
}

type ParsedUserAgent = Pick<Enrichment, 'ua_browser' | 'ua_os' | 'ua_device'>;

// A parse costs ~40 µs and traffic repeats a few thousand user agents: remembered, up to a bound (free text must not
// grow it forever; when full it starts over, which keeps the hot ones without LRU bookkeeping per event).
const uaCache = new Map<string, ParsedUserAgent>();
const UA_CACHE_MAX = 10_000;

export function parseUserAgent(ua: string | null): ParsedUserAgent {
  if (!ua) return { ua_browser: null, ua_os: null, ua_device: null };
  let hit = uaCache.get(ua);
  if (!hit) {
    if (uaCache.size >= UA_CACHE_MAX) uaCache.clear();
    hit = parseUncached(ua);
    uaCache.set(ua, hit);
  }
  return hit;
}

function parseUncached(ua: string): ParsedUserAgent {
  const r = new UAParser(ua).getResult();
  const join = (...parts: (string | undefined)[]) => parts.filter(Boolean).join(' ') || null;
  return {
    ua_browser: join(r.browser.name, r.browser.version),
    ua_os: join(r.os.name, r.os.version),
    // ua-parser-js leaves device.type undefined for desktops
    ua_device: r.device.type ?? (r.os.name ? 'desktop' : null),
  };
}

export function enrich(input: { ip: string | null; user_agent: string | null }, geo: GeoLookup | null): Enrichment {
  let geo_country: string | null = null;
  let geo_city: string | null = null;
  const ip = input.ip?.trim();
  if (geo && ip && isIP(ip)) {
    const hit = geo.lookup(ip);
    geo_country = hit?.country || null;
    geo_city = hit?.city || null;
  }
  const ua = parseUserAgent(input.user_agent);
  return { ua_browser: ua.ua_browser, ua_os: ua.ua_os, ua_device: ua.ua_device, geo_country, geo_city };
}
