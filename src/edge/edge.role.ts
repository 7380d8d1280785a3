// The edge role: the ingestion edge (issue 3). Placeholder until that issue lands: it says so instead of pretending to run.
import type { StartRole } from '../app/role.ts';

const start: StartRole = async ({ logger }) => {
  logger.warn('role not built yet: the ingestion edge (issue 3)');
};
export default start;
