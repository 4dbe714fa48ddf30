import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where outgoing webhooks may go (issue 14, "Safety"). A marketplace registers the URL, so without this policy the
 * `webhooks` role would POST wherever it is told: to the database on 10.0.0.5, to localhost's admin ports, to the
 * cloud's metadata service on 169.254.169.254. Only public unicast addresses are acceptable; the rest are refused
 * unless WEBHOOKS_ALLOW_PRIVATE=true (development and tests), which accepts every address.
 */

/** Why an address is refused. `reserved` covers the special-purpose and documentation ranges (ipaddr.js's names). */
export type RefusedKind =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'carrier-grade-nat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

export type AddressClass =
  | { acceptable: true; address: string }
  /** `address`: the one classified (IPv4-mapped IPv6 unmapped); `range`: ipaddr.js's name for it. */
  | { acceptable: false; address: string; kind: RefusedKind; range: string };

const KIND_OF_RANGE: Readonly<Record<string, RefusedKind>> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade-nat',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
};

/** Words for the refusal sentence: "10.0.0.7, a private address". */
const KIND_WORDS: Readonly<Record<RefusedKind, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address (cloud metadata services live there)',
  'unique-local': 'a unique-local (private IPv6) address',
  'carrier-grade-nat': 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved or special-purpose address',
  invalid: 'not an IP address',
};

/** The IPv6 global unicast allocation (2000::/3): anything outside it is not a public destination today. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/** Classifies one IP address (v4 or v6; an IPv4-mapped IPv6 address is judged as the IPv4 address it carries). */
export function classifyAddress(address: string): AddressClass {
  if (isIP(address) === 0) return { acceptable: false, address, kind: 'invalid', range: 'invalid' };
  const ip = ipaddr.process(address);
  const shown = ip.toString();
  const range: string = ip.range();
  if (range === 'unicast') {
    // ipaddr.js calls everything it has no name for unicast, e.g. the deprecated IPv4-compatible ::127.0.0.1
    if (ip instanceof ipaddr.IPv6 && !ip.match(GLOBAL_UNICAST_V6)) {
      return { acceptable: false, address: shown, kind: 'reserved', range: 'notGlobalUnicast' };
    }
    return { acceptable: true, address: shown };
  }
  return { acceptable: false, address: shown, kind: KIND_OF_RANGE[range] ?? 'reserved', range };
}

/** "a private address" (with ipaddr.js's range name when the kind alone would not say which). */
export function kindPhrase(c: Extract<AddressClass, { acceptable: false }>): string {
  const which = c.kind === 'reserved' && c.range !== 'reserved' ? ` (${c.range})` : '';
  return `${KIND_WORDS[c.kind]}${which}`;
}

const ALLOW_HINT =
  'endpoints must be on public addresses (WEBHOOKS_ALLOW_PRIVATE=true allows private ones, for development)';

/** The sentence for a host (name or literal) that is or resolves to a refused address. */
export function refusedAddressSentence(host: string, c: Extract<AddressClass, { acceptable: false }>): string {
  const what =
    isIP(host) === 0
      ? `host ${host} resolves to ${c.address}, ${kindPhrase(c)}`
      : `address ${host} is ${kindPhrase(c)}${c.address === host ? '' : ` (${c.address})`}`;
  return `webhook endpoint ${what}; ${ALLOW_HINT}`;
}

/** null when every address is acceptable under the policy; otherwise the sentence naming the first refused one. */
export function addressesRefusal(host: string, addresses: readonly string[], allowPrivate: boolean): string | null {
  if (allowPrivate) return null;
  for (const a of addresses) {
    const c = classifyAddress(a);
    if (!c.acceptable) return refusedAddressSentence(host, c);
  }
  return null;
}

/** dns.lookup with `all: true` (injectable: tests answer for names that do not exist). */
export type LookupAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export const systemLookup: LookupAll = (hostname, options, callback) => dnsLookup(hostname, options, callback);

/** A URL's host as the resolver and the policy take it: IPv6 literals without their brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * What can be refused from the URL alone: not a URL, a scheme other than https (http only when private addresses are
 * allowed: a plain-http endpoint is a development receiver), credentials in the URL, an IP literal the policy refuses.
 */
export function urlRefusal(raw: string, allowPrivate: boolean): { refusal: string } | { url: URL; host: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { refusal: `webhook endpoint URL ${JSON.stringify(raw)} is not an absolute URL (https://host/path)` };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowPrivate)) {
    const plain = url.protocol === 'http:';
    return {
      refusal: plain
        ? 'webhook endpoint URL must use https (plain http only with WEBHOOKS_ALLOW_PRIVATE=true, for development)'
        : `webhook endpoint URL must use https, not ${url.protocol.slice(0, -1)}`,
    };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      refusal:
        'webhook endpoint URL must not carry credentials (user:password@); receivers authenticate webhooks by ' +
        'their signature',
    };
  }
  const host = hostOf(url);
  if (host === '') return { refusal: 'webhook endpoint URL has no host' };
  if (isIP(host) !== 0) {
    const refusal = addressesRefusal(host, [host], allowPrivate);
    if (refusal) return { refusal };
  }
  return { url, host };
}

/** Resolves `host` (every address) and applies the policy; an unresolvable host is refused too. */
export async function resolvedRefusal(host: string, allowPrivate: boolean, lookup: LookupAll): Promise<string | null> {
  if (isIP(host) !== 0) return addressesRefusal(host, [host], allowPrivate);
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
      lookup(host, { all: true }, (err, found) => (err ? reject(err) : resolve(found))),
    );
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    return `webhook endpoint host ${host} does not resolve (${code}); check the URL's host name`;
  }
  if (addresses.length === 0) return `webhook endpoint host ${host} does not resolve to any address`;
  return addressesRefusal(
    host,
    addresses.map((a) => a.address),
    allowPrivate,
  );
}

/** The whole check of an endpoint URL at registration: null when acceptable, otherwise why not. */
export async function endpointUrlRefusal(
  raw: string,
  allowPrivate: boolean,
  lookup: LookupAll,
): Promise<string | null> {
  const checked = urlRefusal(raw, allowPrivate);
  if ('refusal' in checked) return checked.refusal;
  return resolvedRefusal(checked.host, allowPrivate, lookup);
}
