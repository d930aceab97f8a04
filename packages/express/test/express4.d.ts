// The `express4` dev alias (Express 4.x) has no types of its own; its API is the same.
declare module 'express4' {
  import express from 'express'
  export default express
}
