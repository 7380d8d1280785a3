// The sink role: the outcomes sink (issue 5). Placeholder until that issue lands: it says so instead of pretending to run.
import type { StartRole } from '../app/role.ts';

const start: StartRole = async ({ logger }) => {
  logger.warn('role not built yet: the outcomes sink (issue 5)');
};
export default start;
