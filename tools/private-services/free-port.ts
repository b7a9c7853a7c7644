import { createServer } from 'node:net';

// Ports already handed out by this process. The kernel may return a port again once we closed it,
// and two services started in the same tick would then race for it.
const handedOut = new Set<number>();

/**
 * A TCP port on `host` that nothing listens on right now. Another process can still take it
 * before our child binds it; the service starters retry on "address already in use" for that.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnAnyPort(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: the kernel kept returning ports already handed out on ${host}`);
}

function listenOnAnyPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected address ${String(address)} on ${host}`));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}
