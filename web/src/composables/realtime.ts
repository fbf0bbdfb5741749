import type { Socket } from 'socket.io-client';
import { useSessionStore } from '../stores/session';

// The one owner of the socket's listeners: stores register handlers and rooms here, never on the socket.
// Each event name gets one socket listener that fans out to every handler (no store can remove
// another's), and every room is joined again, with its payload computed then, on each (re)connect.

type Handler = (payload: never) => void;
const handlers = new Map<string, Set<Handler>>();
/** Room key -> the subscribe payload, computed when it is sent (an account resumes after its last event). */
const rooms = new Map<string, () => object>();
let bound: Socket | null = null;
const listened = new Set<string>();

type SocketSource = () => Socket | null;
let source: SocketSource = () => useSessionStore().socket;

function bind(): Socket | null {
  const socket = source();
  if (!socket) return null;
  if (socket !== bound) {
    bound = socket;
    listened.clear();
    socket.on('connect', () => rooms.forEach((payload) => socket.emit('subscribe', payload())));
  }
  for (const event of handlers.keys()) listen(socket, event);
  return socket;
}

function listen(socket: Socket, event: string): void {
  if (listened.has(event)) return;
  listened.add(event);
  socket.on(event, (payload: unknown) => handlers.get(event)?.forEach((h) => (h as (p: unknown) => void)(payload)));
}

/** `socketOf` replaces the session's socket (tests). */
export function useRealtime(socketOf?: SocketSource) {
  if (socketOf) source = socketOf;
  return {
    /** Calls `handler` for every `event`; the same handler registered twice is called once. Returns its removal. */
    on<T>(event: string, handler: (payload: T) => void): () => void {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(handler as Handler);
      bind();
      return () => set.delete(handler as Handler);
    },
    /** Joins a room now (when connected) and again after every reconnect. */
    join(key: string, payload: () => object): void {
      const socket = bind();
      if (rooms.has(key)) return;
      rooms.set(key, payload);
      if (socket?.connected) socket.emit('subscribe', payload());
    },
    /** Sign-out: the rooms are the wallet's; the handlers belong to the stores and stay. */
    leaveAll(): void {
      rooms.clear();
    },
  };
}
