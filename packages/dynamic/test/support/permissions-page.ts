/** A parser for Dynamic's permissions page (seed 003), shared by the data and round-trip tests. */

export interface Fact {
  scope: string;
  method: string;
  path: string;
  description: string;
}

/**
 * The page lists "METHOD /pathDescription" with nothing between path and description. The
 * description starts at the last capital letter of the first space-free run (paths are camelCase,
 * descriptions start with a capitalised word: "/signMessageDelegate sign message" splits as
 * "/signMessage" + "Delegate sign message").
 */
export function parsePermissionsPage(text: string) {
  const scopes: { scope: string; description: string; group: string }[] = [];
  const facts: Fact[] = [];
  let group = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const endpoint = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)(.*)$/.exec(line);
    if (endpoint) {
      const [, method, head, tail] = endpoint as unknown as [string, string, string, string];
      let cut = head.length - 1;
      while (cut > 0 && !/[A-Z]/.test(head[cut]!)) cut--;
      facts.push({ scope: scopes[scopes.length - 1]!.scope, method, path: head.slice(0, cut), description: head.slice(cut) + tail });
    } else if (/^\S+ Permissions$|^.+\) Permissions$/.test(line)) group = line;
    else if (/^[a-z]+(\.[a-zA-Z]+)+$/.test(line)) scopes.push({ scope: line, description: '', group });
    else if (line.startsWith('Description: ')) scopes[scopes.length - 1]!.description = line.slice('Description: '.length);
  }
  return { scopes, facts };
}

