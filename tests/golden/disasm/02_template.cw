// String templates with interpolation; absent parts add nothing.
map Template : json -> json {
  a: "urn:id:${input.id}"
  b: "${input.family}, ${input.given} (${input.n + 1})"
}
