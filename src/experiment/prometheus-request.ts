/**
 * How a request to a Prometheus server is made from its base URL, and how that URL is shown.
 * A URL's user and password (`http://user:pass@host/prom`) cannot stay in a request (fetch
 * refuses such a URL: "Request cannot be constructed from a URL that includes credentials"):
 * they go in an `Authorization: Basic` header. The base's path is kept as a prefix (a server
 * behind `/prom`) and its query parameters (a proxy's `?token=`) are sent with every query.
 */
export function prometheusRequest(
  base: URL,
  path: string,
  params: Readonly<Record<string, string>>,
): { url: URL; headers: Record<string, string> } {
  const url = new URL(base.href);
  url.username = '';
  url.password = '';
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const headers: Record<string, string> = {};
  if (base.username !== '' || base.password !== '') {
    const user = decodeURIComponent(base.username);
    const password = decodeURIComponent(base.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return { url, headers };
}

/**
 * A Prometheus URL as logs, errors and status may show it: the password and every query value
 * replaced by `***` (a query parameter is where a proxy's token goes), the user name kept.
 * Text that is no URL is shown as `(not a URL)`, since it may be a secret pasted in the wrong
 * place.
 */
export function shownPrometheusUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(not a URL)';
  }
  if (url.password !== '') url.password = '***';
  const names = [...new Set(url.searchParams.keys())];
  url.search = '';
  const query = names.map((name) => `${encodeURIComponent(name)}=***`).join('&');
  return `${url.href}${query === '' ? '' : `?${query}`}`;
}
