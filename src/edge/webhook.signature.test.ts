import { describe, expect, it } from 'vitest';
import { signAcme, signStandard, verifyAcme, verifyStandard } from './webhook.signature.ts';

const body = Buffer.from('{"id":"d-1","event":"contact.created","data":{"id":"c-1"}}');
const nowMs = 1_767_225_600_000;
const ts = String(nowMs / 1000);
const options = { secrets: ['s3cret'], nowMs, toleranceS: 300 };

describe('AcmeCRM signatures', () => {
  it('is hex HMAC-SHA256 over timestamp + "." + raw body', () => {
    // Reference value: printf '%s' "1767225600.<body>" | openssl dgst -sha256 -hmac s3cret
    expect(signAcme('s3cret', ts, body)).toBe('d59c91a41ce240b924de8b60b558cf7cdfc69a8341e5a7aac5040187359b5d40');
    expect(verifyAcme({ signature: signAcme('s3cret', ts, body), timestamp: ts }, body, options)).toEqual({ ok: true });
    expect(verifyAcme({ signature: `sha256=${signAcme('s3cret', ts, body)}`, timestamp: ts }, body, options)).toEqual({ ok: true });
  });
  it('refuses wrong secrets, tampering, stale and future timestamps', () => {
    expect(verifyAcme({ signature: signAcme('other', ts, body), timestamp: ts }, body, options)).toMatchObject({ reason: 'invalid_signature' });
    expect(verifyAcme({ signature: signAcme('s3cret', ts, body), timestamp: ts }, Buffer.from(`${body} `), options)).toMatchObject({ reason: 'invalid_signature' });
    const old = String(nowMs / 1000 - 301);
    expect(verifyAcme({ signature: signAcme('s3cret', old, body), timestamp: old }, body, options)).toMatchObject({ reason: 'timestamp_out_of_tolerance' });
    const future = String(nowMs / 1000 + 301);
    expect(verifyAcme({ signature: signAcme('s3cret', future, body), timestamp: future }, body, options)).toMatchObject({ reason: 'timestamp_out_of_tolerance' });
    expect(verifyAcme({ timestamp: ts }, body, options)).toMatchObject({ reason: 'missing_headers' });
  });
});

describe('Standard Webhooks signatures', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  it('accepts any listed v1 signature (rotation) and refuses others', () => {
    const good = signStandard(secret, 'msg_1', ts, body);
    expect(good).toBe('v1,UcoCUH2/g0idDkQl0urWuOSgB/XE4sTpHSjuKCmMkHU='); // computed independently with Python's hmac
    const headers = { id: 'msg_1', timestamp: ts, signature: `v1,AAAA ${good}` };
    expect(verifyStandard(headers, body, { ...options, secrets: [secret] })).toEqual({ ok: true });
    expect(verifyStandard({ ...headers, id: 'msg_2' }, body, { ...options, secrets: [secret] })).toMatchObject({ reason: 'invalid_signature' });
  });
});
