(* A test plugin that never calls NBDKit.register_plugin: opening it must
   fail with ESRCH.  The reference to NBDKit keeps the module linked. *)

let _unused = NBDKit.default_callbacks
