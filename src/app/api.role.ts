// The api role: accounts, contacts, analytics and bulk-action APIs (issues 5-7). Placeholder until that issue lands: it says so instead of pretending to run.
import type { StartRole } from './role.ts';

const start: StartRole = async ({ logger }) => {
  logger.warn('role not built yet: accounts, contacts, analytics and bulk-action APIs (issues 5-7)');
};
export default start;
