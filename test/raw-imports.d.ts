// Vite's `?raw` imports: the file's text as a string (used to check docs quote the vectors).
declare module '*?raw' {
  const text: string
  export default text
}
