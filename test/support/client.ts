/** A small HTTP client for the local runtime, as a storefront would use it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey = 'sk_local_dev',
  ) {}

  async request(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; apiKey?: string | null } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.apiKey === undefined ? this.apiKey : options.apiKey;
    if (key !== null) headers['x-api-key'] = key;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  get(path: string, options?: Parameters<ApiClient['request']>[2]) {
    return this.request('GET', path, options);
  }

  post(path: string, body: unknown, options?: Parameters<ApiClient['request']>[2]) {
    return this.request('POST', path, { ...options, body });
  }

  /** Polls an order until `done` holds (the workflow runs in the background). */
  async waitForOrder(orderId: string, done: (order: any) => boolean, attempts = 200) {
    for (let i = 0; i < attempts; i++) {
      const { json } = await this.get(`/orders/${orderId}`);
      if (done(json)) return json;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Order ${orderId} did not reach the expected state`);
  }

  async outbox(): Promise<{ id: string; to: string[]; subject: string; text: string; html: string; sentAt: string }[]> {
    const { json } = await this.get('/_local/outbox', { apiKey: null });
    return json.messages;
  }
}

/** The first-access token in an email's text (the link ends in `?token=<token>`). */
export function tokenFrom(text: string): string {
  const match = text.match(/[?&]token=([A-Za-z0-9_-]+)/);
  if (!match?.[1]) throw new Error('no first-access link in the email');
  return match[1];
}
