(* The OCaml twin of extents_c.c, for tests/e2e-extents-rules.sh:
   extents=OFF:LEN:TYPE,... gives the extents it returns, each number a
   decimal int64 or "max", TYPE 0-3 (bit 0 hole, bit 1 zero).  The disk is
   1 MiB of zeroes. *)

let spec = ref ""

let number = function
  | "max" -> Int64.max_int
  | s -> Int64.of_string s

let extents () _count _offset _flags =
  if !spec = "" then []
  else
    List.map (fun item ->
      match String.split_on_char ':' item with
      | [ o; l; t ] ->
         let t = int_of_string t in
         { NBDKit.offset = number o; length = number l;
           is_hole = t land 1 <> 0; is_zero = t land 2 <> 0 }
      | _ -> failwith ("bad extent: " ^ item))
      (String.split_on_char ',' !spec)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "extents-ml";
    config = Some (fun k v ->
      if k = "extents" then spec := v else failwith ("unknown parameter: " ^ k));
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 1048576L);
    pread = Some (fun () count _ _ -> String.make (Int32.to_int count) '\000');
    can_extents = Some (fun () -> true);
    extents = Some extents;
  }
