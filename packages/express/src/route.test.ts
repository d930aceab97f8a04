import express5 from 'express'
import { describe, expect, it } from 'vitest'
import { appRouter, routeTemplate, substitute } from './route.js'

describe('substitute', () => {
  it('templates segments equal to a parameter value', () => {
    expect(substitute('/orgs/acme/teams/a%20b', { org: 'acme', team: 'a b' })).toBe(
      '/orgs/:org/teams/:team',
    )
    expect(substitute('/orgs/acme', undefined)).toBe('/orgs/acme')
    expect(substitute('/orgs/acme', { n: ['x'], e: '' })).toBe('/orgs/acme')
  })
})

describe('routeTemplate', () => {
  it('is undefined without a route, the route path without a mount', () => {
    expect(routeTemplate(undefined, '', undefined)).toBeUndefined()
    expect(routeTemplate({ path: '/users/:id' }, '', undefined)).toBe('/users/:id')
  })

  it('finds a parameterised mount by walking the routers (Express 5)', () => {
    const app = express5()
    const inner = express5.Router()
    inner.get('/x/:id', () => {})
    app.use('/orgs/:org', inner)
    const route = (inner.stack as { route?: object }[])[0]!.route
    expect(routeTemplate(route, '/orgs/acme', appRouter(app))).toBe('/orgs/:org/x/:id')
    // static mounts are cached, parameterised ones never (raw values are unbounded)
    expect(routeTemplate(route, '/orgs/beta', appRouter(app))).toBe('/orgs/:org/x/:id')
  })

  it('falls back to the mount path with known params when the route is not under the router', () => {
    expect(routeTemplate({ path: '/d' }, '/t/acme', undefined, { t: 'acme' })).toBe('/t/:t/d')
  })

  it('appRouter does not trip Express 4 `app.router`', () => {
    const app4 = Object.defineProperty(() => {}, 'router', {
      get(): never {
        throw new Error('deprecated')
      },
    })
    Object.assign(app4, { lazyrouter: () => {} })
    expect(appRouter(app4)).toBeUndefined()
    expect(appRouter(undefined)).toBeUndefined()
  })
})
