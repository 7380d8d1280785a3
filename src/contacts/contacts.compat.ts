// Seed 002's /api/contacts speaks camelCase (firstName, lastName, ownerId, ...); the same handlers serve it.
import type { ContactShape } from './contacts.route.ts';

const toCamel = (s: string) => s.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
const toSnake = (s: string) => s.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

export const CAMEL_CASE: ContactShape = {
  fromClient(body) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
    // metadata's own keys are the client's data and keep their names
    return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [toSnake(k), v]));
  },
  toClient(contact) {
    return Object.fromEntries(Object.entries(contact).map(([k, v]) => [toCamel(k), v]));
  },
  fieldName(field) {
    return field.split('.').map((part, i) => (i === 0 ? toCamel(part) : part)).join('.');
  },
};
