// The worker role: the consumer pool (issue 4). Placeholder until that issue lands: it says so instead of pretending to run.
import type { StartRole } from '../app/role.ts';

const start: StartRole = async ({ logger }) => {
  logger.warn('role not built yet: the consumer pool (issue 4)');
};
export default start;
