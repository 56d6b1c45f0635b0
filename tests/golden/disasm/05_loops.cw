// Comprehensions with where, for statements, let and key[] appends.
map Loops : json -> json {
  let base = input.base
  doubled: for x in input.xs where x > 0 => x * 2
  for y in input.ys where y.keep {
    kept[]: { id: y.id, base: base }
  }
  all[]: input.xs
  all[]: 0
}
