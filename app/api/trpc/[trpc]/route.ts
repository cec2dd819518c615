import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createHttpContext } from "@/server/api/http-context";
import { appRouter } from "@/server/api/root";

const handler = (request: Request) =>
  fetchRequestHandler({ endpoint: "/api/trpc", req: request, router: appRouter, createContext: () => createHttpContext(request) });

export { handler as GET, handler as POST };
