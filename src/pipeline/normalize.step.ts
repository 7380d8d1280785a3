// Normalization: the same person written two ways becomes one value. Pure: the input event is not modified.
import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { CrmEvent } from './event.types.ts';

const require = createRequire(import.meta.url);
countries.registerLocale(require('i18n-iso-countries/langs/en.json') as countries.LocaleData);

/** Common non-ISO spellings people send. */
const COUNTRY_ALIASES: Record<string, string> = { UK: 'GB', EL: 'GR', USA: 'US', 'GREAT BRITAIN': 'GB', ENGLAND: 'GB' };

/** Trimmed; empty becomes null. */
export function clean(value: string | null | undefined): string | null {
  const t = value?.trim();
  return t ? t : null;
}

export function normalizeEmail(value: string | null | undefined): string | null {
  return clean(value)?.toLowerCase() ?? null;
}

const countryCache = new Map<string, string | null>();

/** ISO 3166-1 alpha-2 from alpha-2, alpha-3 or an English name; null when unrecognised. Memoized: few distinct inputs. */
export function normalizeCountry(value: string | null | undefined): string | null {
  const v = clean(value);
  if (!v) return null;
  const hit = countryCache.get(v);
  if (hit !== undefined) return hit;
  const out = lookupCountry(v);
  if (countryCache.size < 10_000) countryCache.set(v, out); // bounded: free text must not grow it forever
  return out;
}

function lookupCountry(v: string): string | null {
  const upper = v.toUpperCase();
  if (COUNTRY_ALIASES[upper]) return COUNTRY_ALIASES[upper];
  if (upper.length === 2 && countries.isValid(upper)) return upper;
  if (upper.length === 3) {
    const a2 = countries.alpha3ToAlpha2(upper);
    if (a2) return a2;
  }
  return countries.getAlpha2Code(v, 'en') ?? null;
}

/** E.164 when the number is possible (with the country as a hint for national formats); otherwise the trimmed input. */
export function normalizePhone(value: string | null | undefined, country?: string | null): string | null {
  const v = clean(value);
  if (!v) return null;
  const parsed = parsePhoneNumberFromString(v, (country ?? undefined) as CountryCode | undefined);
  return parsed?.isPossible() ? parsed.number : v;
}

// Objects are copied by a bare spread and then assigned: a literal that starts with a spread and goes on with more
// properties takes V8's slow path, ~3x the cost of the copy (this runs for every event).
function normalizePerson<T extends { first_name: string | null; last_name: string | null; email: string | null; phone: string | null; country: string | null; company: string | null }>(
  data: T,
): { value: T; unrecognisedCountry: string | null } {
  const country = normalizeCountry(data.country);
  const value = { ...data };
  value.first_name = clean(data.first_name);
  value.last_name = clean(data.last_name);
  value.email = normalizeEmail(data.email);
  value.phone = normalizePhone(data.phone, country);
  value.country = country;
  value.company = clean(data.company);
  return { value, unrecognisedCountry: clean(data.country) && !country ? clean(data.country) : null };
}

/** The event with its person fields normalized. An unrecognised country is kept in metadata.country_raw, never dropped. */
export function normalizeEvent(event: CrmEvent): CrmEvent {
  const metadata = { ...event.metadata };
  const out = { ...event };
  if (event.lead) {
    const n = normalizePerson(event.lead);
    out.lead = n.value;
    if (n.unrecognisedCountry) metadata.country_raw = JSON.stringify(n.unrecognisedCountry);
  }
  if (event.contact) {
    const n = normalizePerson(event.contact);
    n.value.title = clean(event.contact.title);
    out.contact = n.value;
    if (n.unrecognisedCountry) metadata.country_raw = JSON.stringify(n.unrecognisedCountry);
  }
  if (event.opportunity) {
    const opportunity = { ...event.opportunity };
    opportunity.name = clean(event.opportunity.name);
    opportunity.currency = clean(event.opportunity.currency)?.toUpperCase() ?? null;
    out.opportunity = opportunity;
  }
  out.entity_id = event.entity_id.trim();
  out.metadata = metadata;
  return out;
}
