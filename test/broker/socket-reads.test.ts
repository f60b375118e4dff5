// Accepted sockets read into memory the broker chooses (socket-reads.ts): on every Node the CI
// runs (20, 22, 24) the reads must really land there, or the broker would be measuring and
// reusing memory Node never read into.
import assert from 'node:assert/strict';
import { connect, createServer, type Server, Socket } from 'node:net';
import { after, test } from 'node:test';
import { adoptWithReadBuffer } from '../../src/broker/socket-reads.js';

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

test('reads land in the given buffer, no further than its end; writes and close work', async () => {
  const { accepted, client, server } = await acceptOne();
  const buffer = Buffer.alloc(7);
  const reads: string[] = [];
  let closed!: () => void;
  const done = new Promise<void>((r) => {
    closed = r;
  });
  const socket = adoptWithReadBuffer(accepted, buffer, (n) => {
    reads.push(buffer.toString('latin1', 0, n));
  });
  assert.ok(socket, 'this Node can read accepted sockets into chosen memory');
  socket.on('close', () => closed());
  socket.write('hello');
  const answer = await new Promise<string>((r) => client.once('data', (d) => r(d.toString())));
  assert.equal(answer, 'hello');
  client.end('0123456789abcdefghij');
  await done;
  assert.equal(reads.join(''), '0123456789abcdefghij');
  assert.ok(reads.length >= 3, 'reads of at most 7 bytes');
  assert.equal(await new Promise((r) => server.getConnections((_e, n) => r(n))), 0);
});

test('a socket without a handle is not adopted and stays usable', () => {
  const unconnected = new Socket();
  assert.equal(
    adoptWithReadBuffer(unconnected, Buffer.alloc(8), () => {}),
    undefined,
  );
  assert.equal(unconnected.destroyed, false);
});
