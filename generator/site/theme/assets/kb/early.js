/* Material for MkDocs' partials/javascripts/base.html (MIT licence), as a file: the page's
 * scope and the localStorage helpers Material's bundle uses. The scope comes from the
 * script tag's data-md-scope (the page's base URL). */
__md_scope=new URL(document.currentScript.dataset.mdScope,location),__md_hash=e=>[...e].reduce(((e,_)=>(e<<5)-e+_.charCodeAt(0)),0),__md_get=(e,_=localStorage,t=__md_scope)=>JSON.parse(_.getItem(t.pathname+"."+e)),__md_set=(e,_,t=localStorage,a=__md_scope)=>{try{t.setItem(a.pathname+"."+e,JSON.stringify(_))}catch(e){}};
