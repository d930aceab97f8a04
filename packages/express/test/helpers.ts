import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express5 from 'express'
import express4 from 'express4'
import type { Express } from 'express'

export type ExpressFactory = typeof express5

/** Both supported majors, for `describe.each`. */
export const majors: [string, ExpressFactory][] = [
  ['express 5', express5],
  ['express 4', express4],
]

const servers: Server[] = []

/** Listen on port 0; closed by `closeAll()`. */
export function listen(app: Express): Promise<string> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    )
    servers.push(server)
  })
}

export async function closeAll(): Promise<void> {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections()
          s.close(() => r())
        }),
    ),
  )
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export const traceparent = (traceId: string, spanId: string, flags = '01'): string =>
  `00-${traceId}-${spanId}-${flags}`

export const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0').slice(-len)
