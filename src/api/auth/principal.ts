/** Who made a request, as proven by its bearer token. */
export type Principal =
  /** The API secret's holder (the app's backend): may do everything. */
  | { readonly kind: 'server' }
  /** An end user; `callCids` (`"type:id"`) limits the token to those calls when present. */
  | { readonly kind: 'user'; readonly userId: string; readonly callCids?: readonly string[] };
