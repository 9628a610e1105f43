(* Prints from its top-level code without flushing, then registers: what it
   printed must still reach stdout when the host exits with the module
   open, and when the module is closed. *)

let () = print_string "printed by the plugin, never flushed by it"

let () = NBDKit.register_plugin {
  NBDKit.default_callbacks with
  NBDKit.name = "printer";
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> 0L);
  pread = Some (fun () _ _ _ -> "");
}
