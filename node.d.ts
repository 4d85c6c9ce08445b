import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Auth } from "./index.js";

/** `(req, res) => Promise<void>` for Express 4/5 and `http.createServer`; always answers. */
export declare function toNodeHandler(auth: Auth | Auth["handler"]): (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A standard `Headers` from Node's `req.headers`. */
export declare function fromNodeHeaders(headers: IncomingHttpHeaders): Headers;
