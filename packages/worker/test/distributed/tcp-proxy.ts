import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

/** A loopback TCP proxy to a Redis server that a test can cut (every connection reset, new ones refused) and restore. */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cut = false;

  private constructor(
    private readonly server: Server,
    /** The proxy's URL (same scheme and database as the target). */
    readonly url: string,
  ) {}

  /** Listens on 127.0.0.1 (a free port) and forwards to the host and port of `targetUrl`. */
  static async start(targetUrl: string): Promise<TcpProxy> {
    const target = new URL(targetUrl);
    const sockets = new Set<Socket>();
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => {
      if (proxy?.isCut) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: target.hostname, port: Number(target.port || 6379) });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    proxy = new TcpProxy(server, url.toString());
    for (const s of sockets) proxy.sockets.add(s);
    Object.assign(proxy, { sockets });
    return proxy;
  }

  /** Whether connections are being refused. */
  get isCut(): boolean {
    return this.cut;
  }

  /** Resets every open connection and refuses new ones until `restore()`. */
  sever(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Accepts connections again. */
  restore(): void {
    this.cut = false;
  }

  /** Closes the proxy and every connection. */
  async close(): Promise<void> {
    this.sever();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
