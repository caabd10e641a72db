/**
 * A TCP relay on 127.0.0.1 between the clients under test and a real redis-server, for fault
 * injection: each accepted client socket is piped to the Redis port, and the test can refuse new
 * connections, cut open ones (all, one by accept order, or the subscriber — told apart by the
 * SUBSCRIBE in what the client sent), hold traffic without closing anything (a partition), and
 * cut a connection at a chosen command.
 *
 * A partition holds bytes rather than dropping them, as TCP would: they are delivered when it
 * ends (a close the client made meanwhile, too). Loopback only; every wait is bounded.
 */
import net from 'node:net';

export interface RelayConnection {
  /** 1-based, in the order the relay accepted connections. */
  readonly n: number;
  /** A SUBSCRIBE was seen in what the client sent: a subscriber connection. */
  readonly subscriber: boolean;
  readonly open: boolean;
  /** Held (partitioned): nothing is forwarded either way until released. */
  readonly held: boolean;
}

/**
 * What to do with a client→server chunk: `'cut'` (not forwarded; the connection is cut: the
 * command never reaches Redis), `'cut-reply'` (forwarded; the connection is cut when Redis
 * answers, before the client hears it), or nothing special (forwarded, or held if held).
 */
export type HookResult = 'cut' | 'cut-reply' | void;
/** A result, or a function of the connection returning one (run before forwarding: it may cut or hold other connections). */
export type HookAction = HookResult | ((connection: RelayConnection) => HookResult);

export interface Relay {
  readonly port: number;
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  /** Every connection accepted so far, in order. */
  readonly connections: readonly RelayConnection[];
  /** Accept new connections and close them at once (as a host that is down would), until restore(). */
  refuse(): void;
  /** Cut (destroy both sides of) the open connections that match, default all; how many. */
  cut(which?: (c: RelayConnection) => boolean): number;
  /** Cut the n-th accepted connection: now if it is open, or as soon as it is accepted. */
  cutNth(n: number): void;
  /**
   * Stop forwarding without closing anything (a partition), for the open connections that match
   * (default all, and new ones too) — for `ms`, or until restore().
   */
  hold(ms?: number, which?: (c: RelayConnection) => boolean): void;
  /** Apply `action` to the next client→server chunk matching `pattern` (any connection), after skipping `skip` matching ones. Once. */
  when(pattern: RegExp, action: HookAction, skip?: number): void;
  /** Drop the hooks that have not fired. */
  clearHooks(): void;
  /** Undo refuse() and hold(): held bytes (and closes) flow again. Pending hooks stay. */
  restore(): void;
  close(): Promise<void>;
}

interface Link extends RelayConnection {
  client: net.Socket;
  server: net.Socket;
  subscriber: boolean;
  open: boolean;
  held: boolean;
  /** Bytes held, per direction, and whether the sender closed meanwhile. */
  toServer: Buffer[];
  toClient: Buffer[];
  clientEnded: boolean;
  serverEnded: boolean;
  /** The tail of what the client sent (a SUBSCRIBE split across two chunks is still seen). */
  tail: string;
  cutOnReply: boolean;
}

export async function startRelay(targetPort: number): Promise<Relay> {
  const links: Link[] = [];
  const hooks: { pattern: RegExp; action: HookAction; skip: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const cutOnAccept = new Set<number>();
  let refusing = false;
  let holdingNew = false;

  const cutLink = (l: Link) => {
    if (!l.open) return;
    l.open = false;
    l.held = false;
    l.client.destroy();
    l.server.destroy();
  };

  const flush = (l: Link) => {
    if (!l.open) return;
    l.held = false;
    for (const chunk of l.toServer.splice(0)) l.server.write(chunk);
    for (const chunk of l.toClient.splice(0)) l.client.write(chunk);
    if (l.clientEnded) l.server.end();
    if (l.serverEnded) l.client.end();
  };

  const fromClient = (l: Link, chunk: Buffer) => {
    if (!l.open) return;
    l.tail = (l.tail + chunk.toString('latin1')).slice(-4096);
    if (/\r\nsubscribe\r\n/i.test(l.tail)) l.subscriber = true;
    const text = chunk.toString('latin1');
    const i = hooks.findIndex((h) => h.pattern.test(text) && h.skip-- === 0);
    if (i >= 0) {
      const [{ action }] = hooks.splice(i, 1);
      const result = typeof action === 'function' ? action(l) : action;
      if (result === 'cut') return cutLink(l);
      if (result === 'cut-reply') l.cutOnReply = true;
      if (!l.open) return;
    }
    if (l.held) l.toServer.push(chunk);
    else l.server.write(chunk);
  };

  const fromServer = (l: Link, chunk: Buffer) => {
    if (!l.open) return;
    if (l.cutOnReply) return cutLink(l);
    if (l.held) l.toClient.push(chunk);
    else l.client.write(chunk);
  };

  const server = net.createServer((client) => {
    const n = links.length + 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const l: Link = {
      n,
      client,
      server: upstream,
      subscriber: false,
      open: true,
      held: holdingNew,
      toServer: [],
      toClient: [],
      clientEnded: false,
      serverEnded: false,
      tail: '',
      cutOnReply: false,
    };
    links.push(l);
    client.on('error', () => cutLink(l));
    upstream.on('error', () => cutLink(l));
    client.on('close', () => {
      if (!l.held) cutLink(l);
    });
    upstream.on('close', () => {
      if (!l.held) cutLink(l);
    });
    client.on('data', (chunk: Buffer) => fromClient(l, chunk));
    upstream.on('data', (chunk: Buffer) => fromServer(l, chunk));
    client.on('end', () => {
      l.clientEnded = true;
      if (!l.held && l.open) upstream.end();
    });
    upstream.on('end', () => {
      l.serverEnded = true;
      if (!l.held && l.open) client.end();
    });
    if (refusing || cutOnAccept.delete(n)) cutLink(l);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  const relay: Relay = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get connections() {
      return links;
    },
    refuse() {
      refusing = true;
    },
    cut(which = () => true) {
      let count = 0;
      for (const l of links) {
        if (l.open && which(l)) {
          cutLink(l);
          count++;
        }
      }
      return count;
    },
    cutNth(n) {
      const l = links[n - 1];
      if (l) cutLink(l);
      else cutOnAccept.add(n);
    },
    hold(ms, which) {
      if (!which) holdingNew = true;
      for (const l of links) if (l.open && (!which || which(l))) l.held = true;
      if (ms !== undefined) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!which) holdingNew = false;
          for (const l of links) if (l.held && (!which || which(l))) flush(l);
        }, ms);
        timers.add(timer);
      }
    },
    when(pattern, action, skip = 0) {
      hooks.push({ pattern, action, skip });
    },
    clearHooks() {
      hooks.length = 0;
    },
    restore() {
      refusing = false;
      holdingNew = false;
      for (const l of links) if (l.held) flush(l);
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      hooks.length = 0;
      for (const l of links) cutLink(l);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return relay;
}
