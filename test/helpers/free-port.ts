/** A TCP port on 127.0.0.1 that was free a moment ago (bound, then released): for a server to start on, or a closed port to fail against. */
import { createServer, type AddressInfo } from 'node:net';

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
