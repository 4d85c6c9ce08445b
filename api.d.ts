export { APIError } from "./index.js";

/** The `ctx` of `hooks.before` / `hooks.after`. */
export interface HookContext {
  path: string;
  method?: string;
  headers?: Headers;
  body: any;
  query?: Record<string, any>;
  params: Record<string, string>;
  request?: Request;
  context: {
    session: { session: Record<string, any>; user: Record<string, any> } | null;
    newSession: { session: Record<string, any>; user: Record<string, any> } | null;
    /** In `after`: the endpoint's result, or the APIError it ended with. */
    returned?: unknown;
    responseHeaders: Headers;
  };
  responseHeaders: Headers;
  json<T>(body: T): { _flag: "json"; body: T };
  setHeader(name: string, value: string): void;
  getHeader(name: string): string | null;
  setCookie(name: string, value: string, options?: { maxAge?: number; path?: string; domain?: string; httpOnly?: boolean; secure?: boolean; sameSite?: "lax" | "strict" | "none"; expires?: Date; partitioned?: boolean }): string;
  getCookie(name: string): string | null;
  redirect(url: string): Error;
  error(status: string | number, body?: { message?: string; code?: string }, headers?: Record<string, string>): Error;
}

export type AuthMiddleware = (ctx: HookContext) => unknown | Promise<unknown>;

/** Upstream's `createAuthMiddleware`: wraps a hook for `hooks.before` / `hooks.after`. */
export declare function createAuthMiddleware(handler: AuthMiddleware): AuthMiddleware;
export declare function createAuthMiddleware(options: Record<string, unknown>, handler: AuthMiddleware): AuthMiddleware;
