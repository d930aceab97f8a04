import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getLogger, setBindings } from '@threadline/core'
import type { Logger } from '@threadline/core'
import { threadline, threadlineErrors } from '@threadline/express'
import express from 'express'
import type { Express, NextFunction, Request, Response } from 'express'
import { z } from 'zod'
import { createRag } from './rag.js'
import type { Rag, UploadedFile } from './rag.js'

export interface DemoOptions {
  /** Where events go. @default getLogger() */
  logger?: Logger
  /** Documents ingested before the server listens. @default [] */
  documents?: UploadedFile[]
  /** Pause between streamed words of the fake model. @default 5 */
  tokenDelayMs?: number
  /** The pipeline to serve. @default createRag({ logger, tokenDelayMs }) */
  rag?: Rag
}

const DocumentBody = z.object({ filename: z.string().min(1), content: z.string().min(1) })
const QueryBody = z.object({
  question: z.string().min(1),
  session_id: z.string().min(1).default('default'),
})
const AgentBody = z.object({
  message: z.string().min(1),
  session_id: z.string().min(1).default('default'),
})

/** A RAG service: upload documents, ask questions, talk to a tool-calling agent. */
export function createApp(options: DemoOptions = {}): Express {
  const { logger: log = getLogger(), tokenDelayMs = 5 } = options
  const rag = options.rag ?? createRag({ logger: log, tokenDelayMs })
  const app = express()

  // first: every request is the root span of its trace; LangChain runs nest under it
  app.use(threadline({ logger: log }))
  app.use(express.json({ limit: '1mb' }))

  app.get('/health', (_req, res) => void res.send('ok'))

  app.post('/documents', async (req, res) => {
    const body = DocumentBody.safeParse(req.body)
    if (!body.success) return void res.status(400).json({ error: z.prettifyError(body.error) })
    res.status(201).json(await rag.ingest(body.data))
  })

  app.post('/query', async (req, res) => {
    const body = QueryBody.safeParse(req.body)
    if (!body.success) return void res.status(400).json({ error: z.prettifyError(body.error) })
    setBindings({ session_id: body.data.session_id })
    res.json(await rag.query(body.data.question, body.data.session_id))
  })

  app.post('/agent', async (req, res) => {
    const body = AgentBody.safeParse(req.body)
    if (!body.success) return void res.status(400).json({ error: z.prettifyError(body.error) })
    setBindings({ session_id: body.data.session_id })
    res.json(await rag.agent(body.data.message, body.data.session_id))
  })

  app.use(threadlineErrors())
  app.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err)
    res.status(500).json({ error: 'internal error' })
  })
  return app
}

/** Ingest `options.documents`, then start the demo on `port` (0: any free port). */
export async function start(
  port: number,
  options: DemoOptions = {},
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const { logger: log = getLogger(), tokenDelayMs = 5, documents = [] } = options
  const rag = options.rag ?? createRag({ logger: log, tokenDelayMs })
  if (documents.length > 0) {
    await log.span('ingest built-in documents', async () => {
      for (const doc of documents) await rag.ingest(doc)
    })
  }
  const app = createApp({ ...options, logger: log, rag })
  return new Promise((resolve, reject) => {
    const server = app.listen(port, (err?: Error) => {
      if (err) return reject(err)
      const { port: bound } = server.address() as AddressInfo
      resolve({
        server,
        url: `http://localhost:${bound}`,
        close: async () => {
          await new Promise<void>((r) => {
            server.closeAllConnections()
            server.close(() => r())
          })
          await rag.handler.shutdown()
        },
      })
    })
  })
}
