import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a local service (PostgreSQL, Redis) that a spec can cut and open again, to see what
 * clients of a server that depends on it see while it is gone, without stopping the service other runs share.
 */
export class CuttableProxy {
  private server: Server | undefined;
  private readonly connections = new Set<Socket>();
  /** The proxy's own port: 0 until first opened, then the same for every reopening. */
  port = 0;

  constructor(private readonly targetPort: number) {}

  /** Starts (or resumes) forwarding connections to the service. */
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.connections.add(socket);
        socket.on('close', () => this.connections.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Drops every open connection and refuses new ones: to its clients, the service is gone. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.connections) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
