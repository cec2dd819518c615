import net from "node:net";

export type Relay = {
  /** The database URL with the relay's address in place of the server's. */
  url: string;
  /** The database goes away: every connection is cut and new ones are refused. */
  cut(): Promise<void>;
  /** It is back on the same address. */
  restore(): Promise<void>;
  close(): Promise<void>;
};

/**
 * A TCP relay in front of PostgreSQL that a test can cut and restore, as when the database
 * host goes away and comes back: everything that connects through it (the router, the
 * deployer, pg-boss) loses the database at once.
 */
export async function startRelay(databaseUrl: string): Promise<Relay> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;

  const listen = async () => {
    const listening = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(port, "127.0.0.1", () => resolve());
    });
    port = (listening.address() as net.AddressInfo).port;
    server = listening;
  };

  const cut = async () => {
    const closing = server;
    server = null;
    if (!closing) return;
    const closed = new Promise((resolve) => closing.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await listen();
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return { url: url.toString(), cut, restore: () => (server ? Promise.resolve() : listen()), close: cut };
}
