// Conditional expressions, conditional fields, if blocks and match.
map Cond : json -> json {
  a: if input.n > 1 then "big" else "small"
  b: 1 if input.flag
  if input.kind == "x" { c: "x" } else if input.kind == "y" { c: "y" } else { c: "other" }
  g: match input.g { "M" => "male" "F" | "f" => "female" _ => "unknown" }
}
