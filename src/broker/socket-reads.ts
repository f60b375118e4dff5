// Reads of accepted connections into memory the broker chooses, instead of a fresh buffer per read.
//
// Node gives every read of a socket a new 64 KiB buffer unless the socket was made with the
// `onread` option. Under produce load that is over a thousand 64 KiB external allocations a
// second, and V8 answers the growth of external memory with major GCs: 48 mark-compacts in a 6 s
// ProducerPerformance run at 85 MB/s, about a fifth of the broker's CPU with the sweeping and
// concurrent marking (bench/results/2026-12-07-broker-produce.md). `net.Server` has no `onread`
// option, so the handle of an accepted socket (the server must be created with pauseOnConnect,
// so that nothing was read yet) is moved into a new Socket that has one. `new Socket({ handle })`
// is how Node's own server and child_process build sockets around a handle; the socket it replaces
// gives up the handle and is destroyed, which closes nothing and lets the server stop counting it.
// Node 20, 22 and 24 all work this way (test/broker/socket-reads.test.ts checks the reads really
// land in the chosen memory). Where the pieces are missing, adoption returns undefined and the
// caller uses the accepted socket with 'data' events, as before.
import { Socket } from 'node:net';

/** Tests turn this off to run the connection over the fallback path. */
export const socketReads = { adopt: true };

interface HandleOwner {
  _handle?: { useUserBuffer?: unknown; readStart?: unknown } | null;
}

/**
 * A socket for `accepted`'s connection that reads into `buffer` and calls `onRead(n)` with the
 * number of bytes each read put at its start, or undefined when this Node cannot do that (the
 * accepted socket is then untouched: resume it and read 'data').
 */
export function adoptWithReadBuffer(
  accepted: Socket,
  buffer: Buffer,
  onRead: (n: number) => void,
): Socket | undefined {
  const owner = accepted as unknown as HandleOwner;
  const handle = owner._handle;
  if (
    !socketReads.adopt ||
    !handle ||
    typeof handle.useUserBuffer !== 'function' ||
    typeof handle.readStart !== 'function' ||
    accepted.destroyed
  ) {
    return undefined;
  }
  const adopted = new Socket({
    handle,
    onread: {
      buffer,
      callback: (n: number) => {
        onRead(n);
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  owner._handle = null;
  accepted.destroy();
  return adopted;
}
