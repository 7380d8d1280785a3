// The contact as the /v1 API reads and writes it, validated with zod. Unknown fields are errors (listed by name).
import { z } from 'zod';

const text = (max: number) => z.string().trim().max(max, `at most ${max} characters`);
const nullableText = (max: number) => text(max).nullable();

export const ContactFields = {
  first_name: nullableText(200),
  last_name: nullableText(200),
  email: z.string().trim().toLowerCase().pipe(z.email('not a valid email address').max(254)).nullable(),
  phone: z.string().trim().regex(/^\+?[0-9 ().-]{3,32}$/, 'a phone number: digits, spaces, + ( ) . - only').nullable(),
  company: nullableText(200),
  title: nullableText(200),
  country: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 code such as "DE"').nullable(),
  owner_id: nullableText(100),
  status: z.string().trim().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lower-case letters, digits and _ (e.g. "active")'),
  tags: z.array(text(64).min(1)).max(50, 'at most 50 tags'),
  metadata: z.record(z.string().max(100), z.unknown()),
};
const version = z.number().int().positive();

const hasIdentity = (c: { email?: string | null; first_name?: string | null; last_name?: string | null; phone?: string | null }) =>
  Boolean(c.email || c.first_name || c.last_name || c.phone);
const identityIssue = { message: 'give at least one of email, phone, first_name, last_name', path: ['email'] };

const full = z.strictObject({
  first_name: ContactFields.first_name.optional(),
  last_name: ContactFields.last_name.optional(),
  email: ContactFields.email.optional(),
  phone: ContactFields.phone.optional(),
  company: ContactFields.company.optional(),
  title: ContactFields.title.optional(),
  country: ContactFields.country.optional(),
  owner_id: ContactFields.owner_id.optional(),
  status: ContactFields.status.optional(),
  tags: ContactFields.tags.optional(),
  metadata: ContactFields.metadata.optional(),
  version: version.optional(),
});

/** POST and PUT: every field the body omits takes its default (PUT replaces the whole contact). */
export const ContactBody = full.refine(hasIdentity, identityIssue);
/** PATCH: only the fields present change; null clears a field. */
export const ContactPatch = full.partial();

export type ContactInput = z.infer<typeof ContactBody>;
export type ContactPatchInput = z.infer<typeof ContactPatch>;

/** The writable columns with their value for "not given" on create/replace. */
export const WRITABLE = ['first_name', 'last_name', 'email', 'phone', 'company', 'title', 'country', 'owner_id', 'status', 'tags', 'metadata'] as const;
export type Writable = (typeof WRITABLE)[number];
export const DEFAULTS: Record<Writable, unknown> = {
  first_name: null,
  last_name: null,
  email: null,
  phone: null,
  company: null,
  title: null,
  country: null,
  owner_id: null,
  status: 'active',
  tags: [],
  metadata: {},
};

/** The contact's own fields, the same in a database row and in an API response. */
interface ContactFields {
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  company: string | null;
  title: string | null;
  country: string | null;
  owner_id: string | null;
  status: string;
  tags: string[];
  lead_id: string | null;
  metadata: Record<string, unknown>;
}

export interface ContactRow extends ContactFields {
  tenant_id: string;
  id: string;
  version: string | number; // bigint arrives as a string from postgres.js
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface Contact extends ContactFields {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export function toContact(r: ContactRow): Contact {
  return {
    id: r.id,
    version: Number(r.version),
    first_name: r.first_name,
    last_name: r.last_name,
    email: r.email,
    phone: r.phone,
    company: r.company,
    title: r.title,
    country: r.country,
    owner_id: r.owner_id,
    status: r.status,
    tags: r.tags,
    lead_id: r.lead_id,
    metadata: r.metadata,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    deleted_at: r.deleted_at ? r.deleted_at.toISOString() : null,
  };
}
