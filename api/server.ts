/** The API process: `npm run api` (also started by `npm run dev` and in compose). */
import { buildServer } from './buildServer.js';
import { loadApiConfig } from './config.js';
import { exitOnConfigError, loadOrExit } from '../platform/env.js';

const config = loadOrExit(() => loadApiConfig());
const server = await buildServer(config).catch(exitOnConfigError);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.log.info({ signal }, 'closing');
    // close() stops accepting connections, lets in-flight requests finish, then runs onClose hooks.
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

await server.listen({ host: config.HOST, port: config.PORT });
