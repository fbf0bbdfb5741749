/** The API's one error shape, as thrown to the terminal. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let token: string | null = localStorage.getItem('qd.token');

/** The session token is shared by every window of the terminal (pop-out panels). */
export function setToken(value: string | null): void {
  token = value;
  if (value) localStorage.setItem('qd.token', value);
  else localStorage.removeItem('qd.token');
}

export const currentToken = (): string | null => token;

let onExpired: () => void = () => undefined;
/** Called when the API says the session is gone (expired or ended elsewhere): the terminal asks to sign in again. */
export function whenSessionExpires(handler: () => void): void {
  onExpired = handler;
}

/** JSON over the gateway, with the session's bearer token; a non-2xx answer throws ApiError. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (res.status === 401 && token && path !== '/v1/auth/session') onExpired();
  if (!res.ok) throw new ApiError(res.status, body.error?.code ?? 'error', body.error?.message ?? `${res.status}`);
  return body as T;
}
