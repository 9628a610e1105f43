(* A plugin whose callbacks misbehave on request, for the reliability
   tests.  config key "mode" selects what the data callbacks do:
     failure not_found invalid_argument user_exn out_of_memory
     stack_overflow exit short long
     extents_empty extents_overlap extents_range extents_zero_length
     extents_empty_inside
     extents_negative_offset extents_negative_length extents_overflow
     open_raises load_raises
     fua_out_of_range cache_out_of_range bool_out_of_range negative_size
     close_raises unload_raises
   and "ok" (the default) makes them behave: a 1 MiB zeroed disk.  load
   and unload say "load" and "unload" with NBDKit.debug when they run. *)

exception Custom of string * int

let mode = ref "ok"
let size = 1048576L

(* Not tail-recursive, so it exhausts the stack. *)
let rec deep n = if n = 0 then 0 else 1 + deep (n - 1)

let misbehave () =
  match !mode with
  | "failure" -> failwith "boom"
  | "not_found" -> raise Not_found
  | "invalid_argument" -> invalid_arg "bad argument"
  | "user_exn" -> raise (Custom ("custom", 42))
  | "out_of_memory" -> raise Out_of_memory
  | "stack_overflow" -> ignore (deep max_int)
  | "exit" -> raise Exit
  | _ -> ()

let pread () count _offset _flags =
  misbehave ();
  let n = Int32.to_int count in
  match !mode with
  | "short" -> String.make (n - 1) 'a'
  | "long" -> String.make (n + 10) 'b'
  | _ -> String.make n 'c'

let extents () count offset _flags =
  misbehave ();
  let e o l = { NBDKit.offset = o; length = l; is_hole = false; is_zero = false } in
  match !mode with
  | "extents_empty" -> []
  | "extents_overlap" -> [ e offset 4096L; e offset 4096L ]
  | "extents_range" -> [ e (Int64.add size 4096L) 4096L ]
  | "extents_zero_length" -> [ e offset 0L ]
  | "extents_empty_inside" ->
     [ e offset 4096L; e (Int64.add offset 4096L) 0L;
       e (Int64.add offset 4096L) 4096L ]
  | "extents_negative_offset" -> [ e (-4096L) 8192L ]
  | "extents_negative_length" -> [ e offset (-1L) ]
  | "extents_overflow" -> [ e offset 4096L; e (Int64.add offset 4096L) Int64.max_int ]
  | _ -> [ e offset (Int64.of_int32 count) ]

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "faults";
  config = Some (fun k v ->
    match k with
    | "mode" -> mode := v
    | _ -> failwith ("unknown parameter: " ^ k));
  open_connection = Some (fun _ -> if !mode = "open_raises" then failwith "open failed");
  close = Some (fun () -> if !mode = "close_raises" then failwith "close failed");
  load = Some (fun () ->
    NBDKit.debug "load";
    if !mode = "load_raises" then failwith "load failed");
  unload = Some (fun () ->
    NBDKit.debug "unload";
    if !mode = "unload_raises" then failwith "unload failed");
  get_size = Some (fun () -> if !mode = "negative_size" then -1L else size);
  can_write = Some (fun () ->
    if !mode = "bool_out_of_range" then (Obj.magic 2 : bool) else true);
  pread = Some pread;
  pwrite = Some (fun () _ _ _ -> misbehave ());
  can_extents = Some (fun () -> true);
  extents = Some extents;
  can_fua = Some (fun () ->
    if !mode = "fua_out_of_range" then (Obj.magic 7 : NBDKit.fua_flag)
    else NBDKit.FuaNone);
  can_cache = Some (fun () ->
    if !mode = "cache_out_of_range" then (Obj.magic 9 : NBDKit.cache_flag)
    else NBDKit.CacheNone);
}

let () = NBDKit.register_plugin plugin
