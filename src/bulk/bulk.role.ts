// The bulk role: bulk-action executors (issue 7). Placeholder until that issue lands: it says so instead of pretending to run.
import type { StartRole } from '../app/role.ts';

const start: StartRole = async ({ logger }) => {
  logger.warn('role not built yet: bulk-action executors (issue 7)');
};
export default start;
