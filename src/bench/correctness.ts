// The end-of-run check: every accepted event applied exactly once (processed_events) and exactly one outcome each. Pure.

export interface CorrectnessReport {
  ok: boolean;
  accepted: number;
  applied: number;
  withOutcome: number;
  missingApplied: { count: number; sample: string[] };
  doubledApplied: { count: number; sample: string[] };
  missingOutcome: { count: number; sample: string[] };
  doubledOutcome: { count: number; sample: string[] };
  /** processed_events rows of the bench tenants the client did not know the id of (lead capture, webhooks) */
  untracked: number;
  notes: string[];
}

const SAMPLE = 20;

export function checkCorrectness(input: {
  accepted: Map<string, number>;
  applied: Map<string, number> | undefined;
  outcomes: Map<string, string | string[]> | undefined;
}): CorrectnessReport {
  const r: CorrectnessReport = {
    ok: true,
    accepted: input.accepted.size,
    applied: 0,
    withOutcome: 0,
    missingApplied: { count: 0, sample: [] },
    doubledApplied: { count: 0, sample: [] },
    missingOutcome: { count: 0, sample: [] },
    doubledOutcome: { count: 0, sample: [] },
    untracked: 0,
    notes: [],
  };
  const add = (bucket: { count: number; sample: string[] }, id: string) => {
    bucket.count++;
    if (bucket.sample.length < SAMPLE) bucket.sample.push(id);
  };
  for (const id of input.accepted.keys()) {
    if (input.applied) {
      const n = input.applied.get(id) ?? 0;
      if (n === 0) add(r.missingApplied, id);
      else if (n > 1) add(r.doubledApplied, id);
      else r.applied++;
    }
    if (input.outcomes) {
      const o = input.outcomes.get(id);
      if (o === undefined) add(r.missingOutcome, id);
      else if (Array.isArray(o) && new Set(o).size > 1) add(r.doubledOutcome, id);
      else r.withOutcome++;
    }
  }
  if (input.applied) for (const id of input.applied.keys()) if (!input.accepted.has(id)) r.untracked++;
  if (!input.applied) r.notes.push('applied not checked: no Postgres access (set DATABASE_URL)');
  if (!input.outcomes) r.notes.push('outcomes not checked: crm.outcomes not readable');
  r.ok = r.missingApplied.count + r.doubledApplied.count + r.missingOutcome.count + r.doubledOutcome.count === 0 && !!input.applied && !!input.outcomes;
  return r;
}
