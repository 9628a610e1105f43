(* libnbdocaml benchmark: an empty OCaml program for the runtime-floor
   objects (see bench/runtime-floor-stubs.c); only its runtime is used. *)
let () = ()
