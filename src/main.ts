// The entry point. The allocator reads its settings once, at process start, so before anything else is
// loaded this may restart the process in place with them tuned for serving (src/tuning.ts). The program
// proper (start.ts) is its own entry point of the build (see the Makefile), loaded only after that
// decision: a restart here costs ~25 ms, one after the whole program has loaded ~110 ms.
import { tuneAllocator } from "./tuning.ts";

// The offline subcommands serve nothing: they run as they are.
if (process.argv[2] !== "reconcile" && process.argv[2] !== "stats") tuneAllocator();
// Relative to this file: src/start.ts from source, /$bunfs/root/start.ts in the binary.
await import(new URL("./start.ts", import.meta.url).href);
