// Accepted sockets read into memory the broker chooses (socket-reads.ts): on every Node the CI
// runs (20, 22, 24) the reads must really land there, or the broker would be measuring and
// reusing memory Node never read into.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, Socket } from 'node:net';
import { after, test } from 'node:test';
import { adoptWithReadTarget } from '../../src/broker/socket-reads.js';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

function acceptOne(): Promise<{ accepted: Socket; client: Socket; server: Server }> {
  return new Promise((resolve) => {
    const server = createServer({ pauseOnConnect: true });
    servers.push(server);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const client = connect(port, '127.0.0.1');
      server.once('connection', (accepted: Socket) => resolve({ accepted, client, server }));
    });
  });
}

test('reads land in the buffers the target names, in order; writes and close work', async () => {
  const { accepted, client, server } = await acceptOne();
  const targets = [Buffer.alloc(7), Buffer.alloc(1000)];
  let next = 0;
  const reads: { n: number; into: Buffer; bytes: string }[] = [];
  let closed!: () => void;
  const done = new Promise<void>((r) => {
    closed = r;
  });
  const socket = adoptWithReadTarget(accepted, {
    nextBuffer: () => targets[next++ % 2]!,
    onRead: (n, into) => reads.push({ n, into, bytes: into.toString('latin1', 0, n) }),
  });
  assert.ok(socket, 'this Node can read accepted sockets into chosen memory');
  socket.on('close', () => closed());
  socket.write('hello');
  const answer = await new Promise<string>((r) => client.once('data', (d) => r(d.toString())));
  assert.equal(answer, 'hello');
  client.end('0123456789abcdefghij');
  await done;
  assert.equal(reads.map((r) => r.bytes).join(''), '0123456789abcdefghij');
  assert.equal(reads[0]!.into, targets[0], 'the first read went into the first buffer');
  assert.equal(reads[0]!.n, 7, 'and no further than its end');
  for (const r of reads) assert.ok(targets.some((t) => t === r.into));
  await new Promise<void>((r) => server.getConnections(() => r()));
  assert.equal(await new Promise((r) => server.getConnections((_e, n) => r(n))), 0);
});

test('a socket without a handle is not adopted and stays usable', () => {
  const unconnected = new Socket();
  const target = { nextBuffer: () => Buffer.alloc(8), onRead: () => {} };
  assert.equal(adoptWithReadTarget(unconnected, target), undefined);
  assert.equal(unconnected.destroyed, false);
});
