// The compiled addon, loaded once (lib/loader.js says from where).
import { loadNative } from "./loader.js";

export const native = loadNative();
